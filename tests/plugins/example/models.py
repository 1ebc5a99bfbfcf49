"""The example module's one table."""

from __future__ import annotations

import uuid

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from compound.platform.models import id_field


class ExampleNote(SQLModel, table=True):
    __tablename__ = "example_note"

    id: uuid.UUID = id_field()
    text: str = Field(sa_column=Column(Text, nullable=False))
