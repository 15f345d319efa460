"""Municipalities, ranks and staff: profiles, staff lists and CSV import."""
