"""Sessions of a course: dated days, format and venue, seats per municipality, agenda and instructors."""
