"""Route guards: signed-in staff only, holders of given roles, or enterprise users only."""

import functools

from flask import abort
from flask_login import current_user, login_required


def staff_required(view):
    """Bureau and bank staff only: enterprise users get 403 (their side is the portal)."""

    @functools.wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if current_user.enterprise_id is not None:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def roles_required(*roles):
    """Staff holding at least one of `roles` only (403 for everyone else)."""

    def decorate(view):
        @functools.wraps(view)
        @staff_required
        def wrapper(*args, **kwargs):
            if not current_user.role_names & set(roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def enterprise_required(view):
    """Enterprise users only: staff get 403 (the portal is the enterprise's side)."""

    @functools.wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if current_user.enterprise_id is None:
            abort(403)
        return view(*args, **kwargs)

    return wrapper
