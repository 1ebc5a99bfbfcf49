"""The model gateway each worker thread uses (an HTTP client belongs to one event loop)."""

from __future__ import annotations

import threading

from compound.platform.config import get_settings
from compound.platform.llm.gateway import ModelGateway

_local = threading.local()


def model_gateway() -> ModelGateway:
    gateway: ModelGateway | None = getattr(_local, "gateway", None)
    if gateway is None:
        gateway = ModelGateway(get_settings())
        _local.gateway = gateway
    return gateway
