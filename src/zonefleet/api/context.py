"""The request context from Designate's noauth headers and request modifiers."""

from __future__ import annotations

from fastapi import Request

from zonefleet.service.context import RequestContext

TRUE = ("true", "1", "yes", "on")
NOAUTH_PROJECT = "noauth-project"
NOAUTH_USER = "noauth-user"


def _flag(request: Request, header: str, *query: str) -> bool:
    if request.headers.get(header, "").lower() in TRUE:
        return True
    return any(request.query_params.get(name, "").lower() in TRUE for name in query)


async def request_context(request: Request) -> RequestContext:
    """noauth identity (project, user, roles; default role admin) plus the modifiers.

    A coroutine that never awaits, so FastAPI calls it on the event loop instead of
    sending it to the thread pool."""
    headers = request.headers
    roles = frozenset(
        role.strip().lower() for role in headers.get("x-roles", "admin").split(",") if role.strip()
    )
    sudo = headers.get("x-auth-sudo-project-id") or headers.get("x-auth-sudo-tenant-id")
    return RequestContext.build(
        project_id=headers.get("x-auth-project-id") or NOAUTH_PROJECT,
        user_id=headers.get("x-auth-user-id") or NOAUTH_USER,
        roles=roles,
        request_id=request.state.request_id,
        all_projects=_flag(request, "x-auth-all-projects", "all_projects", "all_tenants"),
        sudo_project_id=sudo or None,
        edit_managed=_flag(request, "x-designate-edit-managed-records", "edit_managed_records"),
        hard_delete=_flag(request, "x-designate-hard-delete"),
        delete_shares=_flag(request, "x-designate-delete-shares"),
        hide_counts=_flag(request, "openstack-dns-hide-counts"),
    )
