"""Plumbing for the Jukebox workshop (not the lesson: the notebooks are)."""
