"""Who is asking, and with which of Designate's modifiers (all-projects, sudo, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field

from zonefleet.errors import ForbiddenError

ADMIN = "admin"
MEMBER = "member"
READER = "reader"


@dataclass(frozen=True)
class RequestContext:
    """The caller's identity and request modifiers, already checked against policy.

    `project_id` is the project the request acts for: the sudo project when
    `X-Auth-Sudo-Project-ID` was given, else the caller's own.
    """

    project_id: str | None
    user_id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    request_id: str = ""
    all_projects: bool = False
    original_project_id: str | None = None
    edit_managed: bool = False
    hard_delete: bool = False
    delete_shares: bool = False
    hide_counts: bool = False

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    @property
    def can_write(self) -> bool:
        """Readers may only read; admins, members and unscoped roles may write."""
        return self.is_admin or MEMBER in self.roles or READER not in self.roles

    @classmethod
    def build(
        cls,
        *,
        project_id: str | None,
        user_id: str | None,
        roles: frozenset[str],
        request_id: str,
        all_projects: bool = False,
        sudo_project_id: str | None = None,
        edit_managed: bool = False,
        hard_delete: bool = False,
        delete_shares: bool = False,
        hide_counts: bool = False,
    ) -> RequestContext:
        """A context for these headers; ForbiddenError where Designate's policy is admin-only."""
        is_admin = ADMIN in roles
        for asked, what in (
            (all_projects, "all_projects"),
            (sudo_project_id is not None, "use_sudo"),
            (edit_managed, "edit_managed_records"),
            (hard_delete, "hard_delete"),
        ):
            if asked and not is_admin:
                raise ForbiddenError(f"Policy doesn't allow {what} to be performed.")
        return cls(
            project_id=sudo_project_id or project_id,
            user_id=user_id,
            roles=roles,
            request_id=request_id,
            all_projects=all_projects,
            original_project_id=project_id if sudo_project_id else None,
            edit_managed=edit_managed,
            hard_delete=hard_delete,
            delete_shares=delete_shares,
            hide_counts=hide_counts,
        )

    def require_write(self) -> None:
        if not self.can_write:
            raise ForbiddenError()

    def require_admin(self, action: str) -> None:
        """ForbiddenError, in Designate's words, where its policy for `action` is admin-only."""
        if not self.is_admin:
            raise ForbiddenError(f"Policy doesn't allow {action} to be performed.")

    def sees(self, project_id: str | None) -> bool:
        """Whether what `project_id` owns is the caller's to see: its own, or every
        project's with all-projects."""
        return self.all_projects or project_id == self.project_id

    def visible_project(self) -> str | None:
        """The project a query is limited to; None when the caller sees every project."""
        return None if self.all_projects else self.project_id
