"""Language and dates: the locale of each request and the one date formatter (和暦 in Japanese)."""
