"""Operations: what an operator watches and probes — metrics, structured logs with a request
id, and the health and readiness answers a load balancer or supervisor asks for.

Nothing here changes the domain's data; it only reads other packages' tables (the outbox,
the scheduler's lease and job runs, the scheduling flags) through small queries of its own.
"""
