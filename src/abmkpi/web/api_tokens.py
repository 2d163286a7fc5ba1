"""Token administration routes of the JSON API; they need an admin token.

The CLI cannot write the workspace while the server keeps it open, so a
running server manages its tokens here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from abmkpi.tokens import MAX_NAME_LENGTH, Role, create_token, list_tokens, revoke_token
from abmkpi.web.api_models import ERROR_RESPONSES, TokenCreated, TokenList, TokenModel
from abmkpi.web.auth import require_role
from abmkpi.web.params import DocumentResponse, web_state

router = APIRouter(
    prefix="/api/v1",
    tags=["tokens"],
    dependencies=[Depends(require_role(Role.ADMIN))],
    responses=ERROR_RESPONSES,
)


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    role: Role


# Token rows change no KPI, so these writes use a plain cursor and leave the
# data version (and every cache keyed by it) alone.


@router.get("/tokens", response_model=TokenList)
def get_tokens(request: Request) -> DocumentResponse:
    """List every token with its role and use, never a secret."""
    with web_state(request).reader() as store:
        tokens = [info.to_dict() for info in list_tokens(store)]
    return DocumentResponse({"tokens": tokens})


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def post_token(request: Request, body: TokenRequest) -> DocumentResponse:
    """Create a token; the response shows it once."""
    with web_state(request).reader() as store:
        info, token = create_token(store, body.name, body.role)
    return DocumentResponse({**info.to_dict(), "token": token}, status_code=201)


@router.delete("/tokens/{token_id}", response_model=TokenModel)
def delete_token(
    request: Request, token_id: Annotated[int, Path(ge=1)]
) -> DocumentResponse:
    """Revoke a token; requests with it get 401 from now on."""
    with web_state(request).reader() as store:
        info = revoke_token(store, token_id)
    return DocumentResponse(info.to_dict())
