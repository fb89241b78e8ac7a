"""The error type for mistakes a user can fix (bad path, bad option)."""


class UserError(Exception):
    """A mistake in the user's input: the tools print its message alone
    (no traceback) and exit with status 2. The message must name the file,
    key or value that is wrong and say what to do."""
