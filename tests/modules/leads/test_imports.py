"""Lists that arrive as CSV or pasted text: parsed with errors that name the line, started
through GraphQL, and worked to a ledger that says what became of each company."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.modules.leads import imports, service
from compound.modules.leads.contract import DEAL_FLOW_TEXT_MAX, Sector, Stage
from compound.modules.leads.imports import next_business_day, parse_companies_csv
from compound.platform.auth.actor import Actor
from compound.platform.errors import ValidationFailed
from compound.platform.records.models import Company, Task
from tests.agent_driver import drive
from tests.conftest import GraphQLClient, Tokens

CSV = """Company Name,Website,Description,Sector,Stage,City
Tallgrass Freight,https://www.Tallgrass-Freight.example/about,load matching for flatbeds,logistics,Series A,"Omaha, NE"
"Quietwater
Labs",coming soon,sleep coaching for shift workers,consumer,seed,Berlin
Tallgrass Freight Inc,,again,logistics,,
"""


def test_a_csv_is_read_with_loose_headers_urls_normalized_and_duplicates_once() -> None:
    companies = parse_companies_csv("\ufeff" + CSV)
    assert [c.name for c in companies] == ["Tallgrass Freight", "Quietwater Labs"]
    tallgrass, quiet = companies
    assert (tallgrass.url, tallgrass.stage, tallgrass.location) == (
        "tallgrass-freight.example",
        Stage.SERIES_A,
        "Omaha, NE",
    )
    assert quiet.url == "" and quiet.notes == ["'coming soon' is not a website"]
    assert quiet.span.start > tallgrass.span.start


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the CSV is empty"),
        ("website,stage\nfoo.io,seed\n", "the CSV header has no 'name' column"),
        ("name,stage\n", "the CSV has a header but no companies"),
        ("name,sector\n,fintech\n", "line 2: the name is empty"),
        ("name\nAcme\x00\n", "NUL bytes"),
        ("name\n" + "a" * (6 * 1024 * 1024), "larger than 5 MB"),
        ("name\n" + "".join(f"Co {i}\n" for i in range(5_001)), "more than 5000 companies"),
        ('name\n"Acme\n', "line 2"),
    ],
)
def test_a_bad_csv_is_refused_naming_the_problem(text: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_companies_csv(text)
    assert message in refused.value.message


def test_labels_are_read_as_the_extractor_reads_them_and_odd_ones_noted() -> None:
    health, odd = parse_companies_csv(
        "name,sector,stage\nMedly,Health,Series C\nOddco,basket weaving,someday\n"
    )
    assert (health.sector, health.stage) == (Sector.HEALTHTECH, Stage.GROWTH)
    assert (odd.sector, odd.stage) == (None, None)
    assert odd.notes == ["sector 'basket weaving' not understood", "stage 'someday' not understood"]


def test_a_300_character_name_is_cut_and_noted() -> None:
    [company] = parse_companies_csv("name\n" + "Very Long Name " * 20 + "\n")
    assert len(company.name) <= 200 and company.notes == ["name cut to 200 characters"]


def test_the_follow_up_falls_on_the_next_business_day() -> None:
    assert next_business_day(date(2026, 12, 3)) == date(2026, 12, 4)  # Thursday → Friday
    assert next_business_day(date(2026, 12, 4)) == date(2026, 12, 7)  # Friday → Monday
    assert next_business_day(date(2026, 12, 6)) == date(2026, 12, 7)  # Sunday → Monday


def test_pasted_text_must_be_there_and_not_too_long() -> None:
    with pytest.raises(ValidationFailed, match="the text is empty"):
        imports.check_list_text("  \n ")
    with pytest.raises(ValidationFailed, match="one import reads at most"):
        imports.check_list_text("x" * (DEAL_FLOW_TEXT_MAX + 1))


IMPORT_CSV = """mutation($csv: String!) { importCompaniesCsv(csv: $csv, title: "cohort.csv") {
  leadImport { id state source title found } userErrors { field code message } } }"""
IMPORT_TEXT = """mutation($text: String!) { importCompanyList(text: $text) {
  leadImport { id state } userErrors { field code message } } }"""
LEDGER = """query($id: ID!) { leadImport(id: $id) { state found skipped toResearch researched
  added known needYou failed summary lines { name outcome detail needsYou companyId } } }"""


async def test_a_csv_import_through_graphql_skips_what_does_not_fit_and_counts_the_rest(
    graphql: GraphQLClient, session: AsyncSession, actor: Actor
) -> None:
    await service.update_icp(
        session,
        actor,
        sectors=["logistics"],
        keywords=["freight", "load matching"],
        description="Freight and logistics software",
    )
    await session.commit()
    started = await graphql.execute(IMPORT_CSV, {"csv": CSV})
    payload = started["data"]["importCompaniesCsv"]
    assert payload["userErrors"] == []
    assert payload["leadImport"]["state"] == "EXTRACTING"
    assert payload["leadImport"]["source"] == "csv"
    await drive(session)
    ledger = (await graphql.execute(LEDGER, {"id": payload["leadImport"]["id"]}))["data"][
        "leadImport"
    ]
    assert (ledger["state"], ledger["found"], ledger["skipped"], ledger["added"]) == (
        "DONE",
        2,
        1,
        1,
    )
    assert ledger["researched"] == ledger["toResearch"] == 1
    skipped = [line for line in ledger["lines"] if line["outcome"] == "SKIPPED"]
    assert [line["name"] for line in skipped] == ["Quietwater Labs"]
    assert "Below the threshold" in skipped[0]["detail"]
    names = set((await session.execute(select(Company.name))).scalars())
    assert "Tallgrass Freight" in names and "Quietwater Labs" not in names
    # Started by a person through GraphQL: the follow-up task is theirs.
    tasks = (
        await session.execute(select(Task).where(col(Task.title).contains("cohort.csv")))
    ).scalars()
    assert len(list(tasks)) == 1


async def test_imports_refuse_bad_input_with_user_errors(graphql: GraphQLClient) -> None:
    empty = await graphql.execute(IMPORT_TEXT, {"text": "   "})
    assert empty["data"]["importCompanyList"]["userErrors"] == [
        {
            "field": "text",
            "code": "INVALID",
            "message": "the text is empty: paste the list of companies",
        }
    ]
    bad = await graphql.execute(IMPORT_CSV, {"csv": "website\nfoo.io\n"})
    [error] = bad["data"]["importCompaniesCsv"]["userErrors"]
    assert error["field"] == "csv" and "no 'name' column" in error["message"]
    assert bad["data"]["importCompaniesCsv"]["leadImport"] is None


async def test_a_viewer_cannot_start_an_import(graphql: GraphQLClient, tokens: Tokens) -> None:
    viewer = graphql.as_token(tokens.viewer)
    refused = await viewer.execute(IMPORT_TEXT, {"text": "Acme (acme.io) — widgets"})
    assert refused["data"] is None or refused["data"]["importCompanyList"] is None
    assert "write" in refused["errors"][0]["message"]
