"""What `compound up` gives the leads module on a fresh database: an ideal customer profile,
so the first list a person forwards is judged against something real."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from compound.modules.leads.service import get_icp, update_icp
from compound.platform.auth.actor import Actor

DEMO_DESCRIPTION = (
    "Compound sells a CRM run by agents to B2B software startups whose founders still "
    "do sales themselves: teams of 5 to 50 that send outbound email, run demos and "
    "manage a pipeline of other businesses."
)


async def seed_demo_icp(session: AsyncSession) -> bool:
    """Write the demo ICP unless someone already wrote one; True when it was written."""
    icp = await get_icp(session)
    if icp.updated_by is not None:
        return False
    await update_icp(
        session,
        Actor.system("demo"),
        description=DEMO_DESCRIPTION,
        sectors=["devtools", "ai infrastructure", "fintech", "hr tech", "legal tech", "security"],
        stages=["pre-seed", "seed", "series a"],
        regions=["north america", "europe"],
        keywords=["b2b", "saas", "sales", "platform", "api", "teams"],
        threshold=50,
    )
    return True
