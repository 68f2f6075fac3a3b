"""Tickets (signed QR codes), check-in stewards, scans and the scanner pages."""
