"""RQ workers: queues, jobs (plain functions of ids) and the worker entry point."""
