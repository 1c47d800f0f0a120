"""HTTP only: the Designate v2 routes, the request context and error mapping."""
