"""Managing other people's accounts: administrators for everyone, office staff for liaisons."""
