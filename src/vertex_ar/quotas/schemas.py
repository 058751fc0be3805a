from __future__ import annotations

from pydantic import Field

from vertex_ar.core.schemas import Schema


class Amount(Schema):
    used: int
    limit: int


class CompanyUsage(Schema):
    """What a company uses against each quota. `videos_per_content.used` is its fullest item."""

    company_id: int
    storage_bytes: Amount = Field(
        description="portraits and videos, trash included (purging frees them)"
    )
    content_items: Amount = Field(description="content items outside the trash")
    videos_per_content: Amount = Field(description="videos of the item that has the most")
