"""Messages: an outbox of e-mails, SMS and Zalo messages, delivered after commit (see docs/messages.md)."""
