"""The web UI's pages: server-rendered Jinja2 templates that work without JavaScript."""

from __future__ import annotations

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from litestar.handlers import HTTPRouteHandler
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from compound.platform.config import Settings
from compound.platform.resources import package_path
from compound.web.modules import navigation, page_handlers, template_folders
from compound.web.pages.auth import sign_in_form, sign_in_submit, sign_out_submit
from compound.web.pages.conversations import (
    conversation_page,
    conversations_page,
    download_attachment,
    download_raw_message,
    reprocess_message_submit,
)
from compound.web.pages.inbox import decide_item, decide_many_items, inbox_page
from compound.web.pages.records import (
    companies_page,
    company_page,
    edit_company,
    edit_person,
    merge_companies_submit,
    people_page,
    person_page,
)
from compound.web.pages.runs import run_page, runs_page, undo_run_submit
from compound.web.pages.search import search_page, search_suggest
from compound.web.pages.settings import (
    create_token_submit,
    create_user_submit,
    mail_page,
    model_page,
    revoke_token_submit,
    set_role_submit,
    settings_page,
    tokens_page,
    users_page,
)

TEMPLATES = package_path("compound.web", "templates")
STATIC = package_path("compound.web", "static")

PAGE_HANDLERS: list[HTTPRouteHandler] = [
    sign_in_form,
    sign_in_submit,
    sign_out_submit,
    inbox_page,
    decide_item,
    decide_many_items,
    companies_page,
    company_page,
    edit_company,
    merge_companies_submit,
    people_page,
    person_page,
    edit_person,
    runs_page,
    run_page,
    undo_run_submit,
    search_page,
    search_suggest,
    conversations_page,
    conversation_page,
    download_attachment,
    download_raw_message,
    reprocess_message_submit,
    settings_page,
    tokens_page,
    create_token_submit,
    revoke_token_submit,
    users_page,
    create_user_submit,
    set_role_submit,
    model_page,
    mail_page,
]
"""The substrate's pages; each installed module adds its own."""


def page_routes(settings: Settings) -> list[ControllerRouterHandler]:
    """The pages and the installed modules' pages, and their static files (CSS, scripts), for
    the app's route handlers; the app mounts the page guard (platform/pages.py)."""
    modules: list[ControllerRouterHandler] = page_handlers(settings)  # type: ignore[assignment]
    static = create_static_files_router(path="/static", directories=[STATIC])
    return [*PAGE_HANDLERS, *modules, static]


def template_config(settings: Settings) -> TemplateConfig[JinjaTemplateEngine]:
    folders = [str(TEMPLATES), *template_folders(settings)]
    # Autoescape always on: item text comes from email and the web.
    environment = Environment(
        loader=ChoiceLoader([FileSystemLoader(folder) for folder in folders]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The installed modules' links, for the main navigation and the settings menu.
    environment.globals["module_navigation"] = navigation(settings, in_settings=False)
    environment.globals["module_settings_navigation"] = navigation(settings, in_settings=True)
    return TemplateConfig(
        engine=JinjaTemplateEngine.from_environment(environment),
    )
