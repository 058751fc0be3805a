"""Video rotation: which of a content item's videos plays today, and the rules that decide it."""
