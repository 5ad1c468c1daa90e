"""Webhooks: FPTR-compatible hooks, durable signed deliveries, retries, replay (docs/webhooks.md).

The Python API is ``shotlog.webhooks.api.Webhooks``; the worker is
``shotlog.webhooks.worker.DeliveryWorker``.
"""
