"""Pure view models: what each screen shows, computed from read models, with no Flet import.

Every function here takes the moment it renders for (``Now``), so the words a dispatcher reads
("12 min", "2 min ago", "14:03:27") are tested without a clock.
"""
