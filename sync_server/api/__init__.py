"""HTTP routers, one per concern; each handler is a thin call into ``sync_server.service``."""
