"""The HTTP side: app assembly, routing, the request pipeline, auth, CORS, parsing and
Express-shaped responses."""
