"""Venues of a commune (cultural houses, halls, computer rooms) and their bookings."""
