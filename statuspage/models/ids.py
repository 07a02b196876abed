import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def new_public_id() -> str:
    """A 12-character id like Statuspage's: URL-safe and not guessable by counting."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))
