"""Companies, contacts, segments, import and export, duplicates and merge (to come)."""
