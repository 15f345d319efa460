"""Applications, seats, quotas and the waiting list."""
