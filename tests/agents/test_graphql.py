"""GraphQL over runs and the Inbox: start a run, see its items grouped by task, decide on
them, watch the run resume — and every way a caller can get it wrong."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.agent_driver import drive
from tests.conftest import GraphQLClient, Tokens
from tests.runtime_agents import SENT

START = """mutation($agent: String!, $input: JSON!) { startRun(agent: $agent, input: $input) {
  run { id agent state engine tainted } userErrors { field code message } } }"""
INBOX = """query($status: InboxItemStatus) { inbox(status: $status, first: 10) { totalCount
  edges { node { root { id title } itemCount items { id kind status title choices
    proposedAction { tool arguments argumentsSchema } run { id state waitingFor } } } } } }"""
RUN = """query($id: ID!) { run(id: $id) { id state waitingFor engine childrenTotal
  childrenFinished output steps { position kind name } children { id state parent { id } }
  inboxItems { kind status decidedBy } } }"""
APPROVE = """mutation($id: ID!, $arguments: JSON) { approveInboxItem(id: $id, arguments: $arguments)
  { item { id status decidedBy decision } userErrors { field code message } } }"""
ANSWER = """mutation($id: ID!, $answer: String!) { answerInboxItem(id: $id, answer: $answer)
  { item { status decision } userErrors { field code message } } }"""
REJECT = """mutation($id: ID!) { rejectInboxItem(id: $id, reason: "no") {
  item { status } userErrors { code message } } }"""
GROUP = """mutation($root: ID!, $action: InboxAction!) { decideInboxGroup(rootRunId: $root,
  action: $action) { items { status } userErrors { field code message } } }"""
EMAIL_PLAN = {"steps": [["send_email", {"to": "ceo@example.com", "subject": "Re: intro"}]]}


async def start(graphql: GraphQLClient, session: AsyncSession, agent: str, plan: Any) -> str:
    body = await graphql.execute(START, {"agent": agent, "input": plan})
    payload = body["data"]["startRun"]
    assert payload["userErrors"] == [], payload
    await drive(session)
    run_id: str = payload["run"]["id"]
    return run_id


async def open_group(graphql: GraphQLClient, root: str) -> dict[str, Any]:
    body = await graphql.execute(INBOX, {"status": "OPEN"})
    [group] = [e["node"] for e in body["data"]["inbox"]["edges"] if e["node"]["root"]["id"] == root]
    return group


async def test_an_approval_shows_in_the_inbox_and_approving_resumes_the_run(
    graphql: GraphQLClient, session: AsyncSession
) -> None:
    SENT.clear()
    run_id = await start(graphql, session, "tests.email_reader", EMAIL_PLAN)
    group = await open_group(graphql, run_id)
    [item] = group["items"]
    assert group["itemCount"] == 1
    assert (item["kind"], item["status"], item["run"]["waitingFor"]) == (
        "APPROVAL",
        "OPEN",
        "approval",
    )
    action = item["proposedAction"]
    assert action["tool"] == "send_email"
    assert action["arguments"] == {"to": "ceo@example.com", "subject": "Re: intro"}
    assert action["argumentsSchema"]["properties"]["to"]["type"] == "string"

    bad = await graphql.execute(APPROVE, {"id": item["id"], "arguments": {"to": "nope"}})
    errors = bad["data"]["approveInboxItem"]["userErrors"]
    assert [e["field"] for e in errors] == ["arguments.to"]
    not_object = await graphql.execute(APPROVE, {"id": item["id"], "arguments": [1, 2]})
    assert not_object["data"]["approveInboxItem"]["userErrors"][0]["field"] == "arguments"

    edited = {"to": "cto@example.com", "subject": "Re: intro"}
    done = await graphql.execute(APPROVE, {"id": item["id"], "arguments": edited})
    assert done["data"]["approveInboxItem"]["item"]["status"] == "APPROVED"
    assert done["data"]["approveInboxItem"]["item"]["decision"] == {"arguments": edited}
    await drive(session)
    run = (await graphql.execute(RUN, {"id": run_id}))["data"]["run"]
    assert run["state"] == "DONE"
    assert [s["kind"] for s in run["steps"]] == ["policy", "tool_call", "output"]
    assert SENT[-1]["to"] == "cto@example.com"
    assert run["inboxItems"][0]["decidedBy"].startswith("token:")
    again = await graphql.execute(REJECT, {"id": item["id"]})
    assert "already approved" in again["data"]["rejectInboxItem"]["userErrors"][0]["message"]
    remaining = await graphql.execute(INBOX, {"status": "OPEN"})
    roots = [e["node"]["root"]["id"] for e in remaining["data"]["inbox"]["edges"]]
    assert run_id not in roots


async def test_a_question_is_answered_from_its_choices(
    graphql: GraphQLClient, session: AsyncSession
) -> None:
    run_id = await start(graphql, session, "tests.planner", {"question": "Same company?"})
    [item] = (await open_group(graphql, run_id))["items"]
    assert item["choices"] == ["yes", "no"]
    wrong = await graphql.execute(ANSWER, {"id": item["id"], "answer": "perhaps"})
    assert wrong["data"]["answerInboxItem"]["userErrors"][0]["field"] == "answer"
    right = await graphql.execute(ANSWER, {"id": item["id"], "answer": "no"})
    assert right["data"]["answerInboxItem"]["item"] == {
        "status": "ANSWERED",
        "decision": {"answer": "no"},
    }
    await drive(session)
    run = (await graphql.execute(RUN, {"id": run_id}))["data"]["run"]
    assert (run["state"], run["output"]["answer"]) == ("DONE", "no")


async def test_fan_out_shows_children_and_progress_and_bulk_dismiss(
    graphql: GraphQLClient, session: AsyncSession
) -> None:
    names = [f"GQL child {uuid.uuid4().hex[:6]}" for _ in range(3)]
    run_id = await start(
        graphql,
        session,
        "tests.planner",
        {"children": names, "exceptions": ["no URL for A", "no URL for B"]},
    )
    run = (await graphql.execute(RUN, {"id": run_id}))["data"]["run"]
    assert (run["state"], run["childrenTotal"], run["childrenFinished"]) == ("DONE", 3, 3)
    assert [c["parent"]["id"] for c in run["children"]] == [run_id] * 3
    assert all(c["state"] == "DONE" for c in run["children"])
    closed = await graphql.execute(GROUP, {"root": run_id, "action": "DISMISS"})
    assert [i["status"] for i in closed["data"]["decideInboxGroup"]["items"]] == ["DISMISSED"] * 2
    nothing = await graphql.execute(GROUP, {"root": run_id, "action": "APPROVE"})
    assert nothing["data"]["decideInboxGroup"]["userErrors"][0]["field"] == "rootRunId"


async def test_bad_starts_are_user_errors(graphql: GraphQLClient) -> None:
    unknown = await graphql.execute(START, {"agent": "nobody", "input": {}})
    assert unknown["data"]["startRun"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert "known agents" in unknown["data"]["startRun"]["userErrors"][0]["message"]
    wrong = await graphql.execute(START, {"agent": "tests.planner", "input": {"steps": 5}})
    assert wrong["data"]["startRun"]["userErrors"][0]["field"] == "input"
    not_object = await graphql.execute(START, {"agent": "tests.planner", "input": "hi"})
    assert not_object["data"]["startRun"]["userErrors"][0]["field"] == "input"
    bad_id = await graphql.execute(RUN, {"id": "not-a-uuid"})
    assert "not a valid id" in bad_id["errors"][0]["message"]
    missing = await graphql.execute(RUN, {"id": str(uuid.uuid4())})
    assert missing["data"]["run"] is None
    bad_state = await graphql.post("query { runs(state: SLEEPING) { totalCount } }")
    assert "SLEEPING" in bad_state.json()["errors"][0]["message"]


async def test_runs_filter_by_state_and_agent(
    graphql: GraphQLClient, session: AsyncSession
) -> None:
    done_id = await start(graphql, session, "tests.planner", {"steps": []})
    waiting_id = await start(graphql, session, "tests.email_reader", EMAIL_PLAN)
    query = """query($state: RunState, $agent: String) { runs(state: $state, agent: $agent,
      first: 50) { totalCount edges { node { id } } } }"""
    done = await graphql.execute(query, {"state": "DONE", "agent": "tests.planner"})
    done_ids = [e["node"]["id"] for e in done["data"]["runs"]["edges"]]
    assert done_id in done_ids and waiting_id not in done_ids
    waiting = await graphql.execute(query, {"state": "WAITING"})
    assert waiting_id in [e["node"]["id"] for e in waiting["data"]["runs"]["edges"]]


async def test_a_viewer_reads_the_inbox_but_cannot_decide(
    graphql: GraphQLClient, session: AsyncSession, tokens: Tokens
) -> None:
    run_id = await start(graphql, session, "tests.email_reader", EMAIL_PLAN)
    [item] = (await open_group(graphql, run_id))["items"]
    for token in (tokens.viewer, tokens.read_only):
        reader = graphql.as_token(token)
        body = await reader.execute(INBOX, {"status": "OPEN"})
        assert body["data"]["inbox"]["totalCount"] >= 1
        refused = await reader.execute(APPROVE, {"id": item["id"]})
        assert refused["data"] is None or refused["data"]["approveInboxItem"] is None
        assert "write" in refused["errors"][0]["message"]
    anonymous = await graphql.as_token(None).post(INBOX, {"status": "OPEN"})
    assert anonymous.status_code == 401


UNDO = """mutation($id: ID!) { undoRun(id: $id) { report { runId runs reverted
  kept { subjectType field reason } } userErrors { field code message } } }"""
COMPANIES = """query($name: String!) { companies(first: 10, filter: {nameContains: $name}) {
  edges { node { id name provenance { runId agent tool action field } } } } }"""


async def test_undo_run_removes_what_a_batch_created_once(
    graphql: GraphQLClient, session: AsyncSession, tokens: Tokens
) -> None:
    batch = uuid.uuid4().hex[:6]
    run_id = await start(
        graphql, session, "tests.planner", {"children": [f"Undo {batch} A", f"Undo {batch} B"]}
    )
    listed = await graphql.execute(COMPANIES, {"name": f"Undo {batch}"})
    nodes = [e["node"] for e in listed["data"]["companies"]["edges"]]
    assert len(nodes) == 2
    child_runs = {
        c["id"] for c in (await graphql.execute(RUN, {"id": run_id}))["data"]["run"]["children"]
    }
    for node in nodes:
        [mark] = node["provenance"]
        assert (mark["agent"], mark["tool"], mark["field"]) == (
            "tests.planner",
            "add_company",
            None,
        )
        assert mark["runId"] in child_runs

    refused = await graphql.as_token(tokens.read_only).execute(UNDO, {"id": run_id})
    assert "write" in refused["errors"][0]["message"]
    undone = (await graphql.execute(UNDO, {"id": run_id}))["data"]["undoRun"]
    assert undone["userErrors"] == []
    assert undone["report"]["runs"] == 3
    assert len(undone["report"]["reverted"]) == 2 and undone["report"]["kept"] == []
    after = await graphql.execute(COMPANIES, {"name": f"Undo {batch}"})
    assert after["data"]["companies"]["edges"] == []
    again = (await graphql.execute(UNDO, {"id": run_id}))["data"]["undoRun"]["report"]
    assert again["reverted"] == [] and again["kept"] == []

    missing = await graphql.execute(UNDO, {"id": str(uuid.uuid4())})
    assert missing["data"]["undoRun"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_a_run_still_waiting_cannot_be_undone(
    graphql: GraphQLClient, session: AsyncSession
) -> None:
    run_id = await start(graphql, session, "tests.email_reader", EMAIL_PLAN)
    waiting = (await graphql.execute(UNDO, {"id": run_id}))["data"]["undoRun"]
    assert waiting["report"] is None
    [error] = waiting["userErrors"]
    assert error["field"] == "id" and "still going" in error["message"]
