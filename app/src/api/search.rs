//! Search over every room the caller is in.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use super::ssr;
use crate::{
    types::{MessageId, RoomId, SearchResults},
    AppError,
};

/// `GET /api/search?q=&room_id=&from=&before=&after=&has=&cursor=`: messages containing
/// every term of `q` (substrings, any script, case-insensitive), newest first, 20 a page.
/// `q` may carry `from:username`, `in:room`, `before:YYYY-MM-DD`, `after:YYYY-MM-DD` and
/// `has:image|file`; the parameters say the same explicitly.
#[server(prefix = "/api", endpoint = "search", input = GetUrl)]
pub async fn search(
    q: String,
    room_id: Option<RoomId>,
    from: Option<String>,
    before: Option<String>,
    after: Option<String>,
    has: Option<String>,
    cursor: Option<MessageId>,
) -> Result<SearchResults, AppError> {
    let me = ssr::me().await?;
    let query = crate::types::SearchQuery { q, room_id, from, before, after, has, cursor };
    crate::backend::backend()?.search(&me, query).await
}
