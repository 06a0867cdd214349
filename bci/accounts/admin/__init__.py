"""Admin for staff members, their roles and API tokens, scoped by our role system.

``scope`` holds the rules (who may see, grant and change what); ``staff`` the user and
role-assignment admins; ``api_tokens`` the token admin. Importing the package registers
them.
"""

from . import api_tokens, staff  # noqa: F401 - registers the admin classes
