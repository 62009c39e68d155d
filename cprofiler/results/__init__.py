"""Results: the typed model (written and read), the JSON Lines run log, resume, statistics."""
