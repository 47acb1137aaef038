"""Training code for affectstream's own model pack (face, speech and fusion networks of the seed method)."""
