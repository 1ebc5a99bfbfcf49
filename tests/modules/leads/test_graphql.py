"""GraphQL for leads and the ICP: queries, moves with user errors, scopes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from compound.modules.leads import service
from compound.platform.auth.actor import Actor
from tests.conftest import GraphQLClient, Tokens
from tests.factories import make_company

LEADS = """query($filter: LeadFilterInput) { leads(first: 10, filter: $filter,
  orderBy: {field: SCORE, direction: DESC}) { totalCount edges { node { id status score
  rationale company { name } } } } }"""
MOVE = """mutation($id: ID!, $input: UpdateLeadInput!) { updateLead(id: $id, input: $input) {
  lead { status rationale score } userErrors { field code message } } }"""
ICP = """mutation($input: UpdateIcpInput!) { updateIcp(input: $input) {
  icp { sectors threshold updatedBy } userErrors { field message } } }"""


async def test_leads_are_listed_moved_and_refused_clearly(
    graphql: GraphQLClient, session: AsyncSession, actor: Actor, tokens: Tokens
) -> None:
    company = await make_company(session, name="Graphql Lead Co")
    lead = await service.create_lead(
        session, actor, company_id=company.id, score=88, rationale="fits the ICP"
    )
    await session.commit()
    listed = await graphql.execute(LEADS, {"filter": {"minScore": 88, "status": "NEW"}})
    nodes = [e["node"] for e in listed["data"]["leads"]["edges"]]
    assert {
        "id": str(lead.id),
        "status": "NEW",
        "score": 88,
        "rationale": "fits the ICP",
        "company": {"name": "Graphql Lead Co"},
    } in nodes
    bad = await graphql.execute(
        MOVE, {"id": str(lead.id), "input": {"status": "WON", "rationale": "sure"}}
    )
    assert bad["data"]["updateLead"]["lead"] is None
    assert bad["data"]["updateLead"]["userErrors"][0]["field"] == "status"
    moved = await graphql.execute(
        MOVE, {"id": str(lead.id), "input": {"status": "RESEARCHING", "rationale": "look closer"}}
    )
    assert moved["data"]["updateLead"] == {
        "lead": {"status": "RESEARCHING", "rationale": "look closer", "score": 88},
        "userErrors": [],
    }
    refused = await graphql.as_token(tokens.viewer).execute(
        MOVE, {"id": str(lead.id), "input": {"score": 1}}
    )
    assert refused["data"] is None
    assert "write" in refused["errors"][0]["message"]
    garbage = await graphql.execute(LEADS, {"filter": {"ownerId": "not-an-id"}})
    assert "ownerId" in garbage["errors"][0]["message"]


async def test_the_icp_is_read_and_updated(graphql: GraphQLClient) -> None:
    updated = await graphql.execute(
        ICP, {"input": {"sectors": ["Fintech", "HR tech"], "threshold": 70}}
    )
    assert updated["data"]["updateIcp"]["icp"]["sectors"] == ["fintech", "hr tech"]
    assert updated["data"]["updateIcp"]["icp"]["updatedBy"]
    read = await graphql.execute("{ icp { sectors threshold description } }")
    assert read["data"]["icp"]["threshold"] == 70
    bad = await graphql.execute(ICP, {"input": {"threshold": -5}})
    assert bad["data"]["updateIcp"]["userErrors"][0]["field"] == "threshold"


async def test_leads_are_ordered_either_way_with_the_schema_s_one_order_direction(
    graphql: GraphQLClient, session: AsyncSession, actor: Actor
) -> None:
    scores = [31, 77, 54]
    for score in scores:
        company = await make_company(session, name=f"Ordered Lead Co {score}")
        await service.create_lead(
            session, actor, company_id=company.id, score=score, rationale="ordered"
        )
    await session.commit()
    document = """query($direction: OrderDirection!) { leads(first: 10,
      filter: {minScore: 30}, orderBy: {field: SCORE, direction: $direction}) {
      edges { node { score } } } }"""
    for direction, expected in (("ASC", sorted(scores)), ("DESC", sorted(scores, reverse=True))):
        listed = await graphql.execute(document, {"direction": direction})
        assert "errors" not in listed, listed
        found = [edge["node"]["score"] for edge in listed["data"]["leads"]["edges"]]
        assert [score for score in found if score in scores] == expected
