"""参保征缴看板 inside the Airflow UI: one page per county served (``YIBAO_COUNTIES``), embedded in the
navigation bar of the Airflow 3 UI.

Only routing lives here: the figures come from :func:`yibao.campaign_view.county_view` (the warehouse and
the staging folder), the page from :func:`yibao.outputs.campaign.render`. The pages are served by the
api-server under ``/yibao/`` to logged-in Airflow users only (the UI's session cookie or a bearer token).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.core_api.security import get_user
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse

from yibao.settings import Settings, served_counties

PREFIX = "/yibao"
app = FastAPI(title="参保征缴看板", docs_url=None, redoc_url=None, openapi_url=None)
User = Annotated[BaseUser, Depends(get_user)]


@app.get("/")
def first_county(_: User) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/{served_counties()[0]}")


@app.get("/{county}", response_class=HTMLResponse)
def county_page(county: str, _: User) -> str:
    from yibao.campaign_view import county_view
    from yibao.outputs.campaign import render

    counties = served_counties()
    if county not in counties:
        raise HTTPException(status_code=404, detail=f"本部署未服务规则编号 {county}（YIBAO_COUNTIES：{','.join(counties)}）")
    return render(county_view(Settings.from_env(county)), counties, PREFIX)


class YibaoCampaignPlugin(AirflowPlugin):
    name = "yibao_campaign"
    fastapi_apps: ClassVar[list[dict]] = [{"app": app, "url_prefix": PREFIX, "name": "参保征缴看板"}]
    external_views: ClassVar[list[dict]] = [{"name": "参保征缴看板", "href": f"{PREFIX}/", "destination": "nav", "url_route": "yibao"}]
