"""Courses and their curriculum, and the case studies of the municipalities' own initiatives."""
