//! A file being sent, where its message will appear: its thumbnail or icon, name, a progress
//! bar with Cancel; or, refused, the server's reason with Retry (the same upload, which the
//! server stores at most once) and Discard. The row gives way to the message once it is in.

use leptos::prelude::*;

use super::file_thumb::FileThumb;
use crate::{
    i18n::{t, td_string, use_i18n, Locale},
    state::{
        actions::{drop_upload, retry_upload},
        store::use_chat,
        upload::{Upload, UploadFailure, UploadState},
    },
    tr,
    types::human_size,
};

#[component]
pub fn UploadRow(upload: Upload) -> impl IntoView {
    let store = use_chat();
    let i18n = use_i18n();
    let id = StoredValue::new(upload.client_id.clone());
    let state = Memo::new(move |_| {
        id.with_value(|id| {
            store.uploads.with(|all| all.iter().find(|u| u.client_id == *id).map(|u| (u.state.clone(), u.percent())))
        })
    });
    let name = upload.name.clone();
    let thumb = upload.thumb.clone();
    let caption = (!upload.caption.is_empty()).then(|| view! { <div class="bubble">{upload.caption.clone()}</div> });
    let label = StoredValue::new(name.clone());
    let status = move || match state.get() {
        Some((UploadState::Sending { sent, total }, percent)) => {
            // Every byte is there; the server is storing it and, for an image, making previews.
            let done = if sent >= total && total > 0 {
                tr!(i18n, chat.upload.processing).into_any()
            } else {
                let (sent, total) = (human_size(sent as i64), human_size(total as i64));
                t!(i18n, chat.upload.progress, sent = move || sent.clone(), total = move || total.clone()).into_any()
            };
            let label = move || label.with_value(|name| td_string!(i18n.get_locale(), chat.upload.uploading, name));
            view! {
                <progress
                    class="upload-progress"
                    max="100"
                    value=percent
                    aria-label=label
                    data-testid="upload-progress"
                >
                    {format!("{percent}%")}
                </progress>
                <span class="upload-size">{done}</span>
            }
            .into_any()
        }
        Some((UploadState::Failed(why), _)) => view! {
            <span class="upload-error" role="alert" data-testid="upload-error">
                {move || failure_text(i18n.get_locale(), &why)}
            </span>
        }
        .into_any(),
        None => ().into_any(),
    };
    let failed = upload.failed();
    // A file the server refused for itself (empty, too large) would only be refused again.
    let retryable = matches!(&upload.state, UploadState::Failed(why) if why.retryable());
    let actions = if failed {
        view! {
            {retryable
                .then(|| {
                    view! {
                        <button type="button" on:click=move |_| id.with_value(|id| retry_upload(store, id))>
                            {tr!(i18n, chat.upload.retry)}
                        </button>
                    }
                })}
            <button type="button" on:click=move |_| id.with_value(|id| drop_upload(store, id))>
                {tr!(i18n, chat.upload.discard)}
            </button>
        }
        .into_any()
    } else {
        view! {
            <button type="button" data-testid="cancel-upload" on:click=move |_| id.with_value(|id| drop_upload(store, id))>
                {tr!(i18n, chat.upload.cancel)}
            </button>
        }
        .into_any()
    };

    view! {
        <div class="message mine pending upload" class=("failed", failed) data-testid="upload">
            <div class="upload-card">
                <FileThumb thumb />
                <div class="upload-text">
                    <span class="attached-name" title=name.clone()>{name.clone()}</span>
                    {status}
                </div>
            </div>
            {caption}
            <div class="status">{actions}</div>
        </div>
    }
}

/// Why an upload failed, in `locale`'s words (the server's own message as it came).
pub fn failure_text(locale: Locale, why: &UploadFailure) -> String {
    match why {
        UploadFailure::Said(message) | UploadFailure::Refused(message) => crate::error::localize(message, locale),
        UploadFailure::Unreadable => td_string!(locale, chat.upload.unreadable).to_string(),
        UploadFailure::Unreachable => td_string!(locale, chat.upload.unreachable).to_string(),
        UploadFailure::Status(status) => td_string!(locale, chat.upload.http_failed, status),
        UploadFailure::FileGone => td_string!(locale, chat.upload.file_gone).to_string(),
        UploadFailure::NotSent => td_string!(locale, chat.upload.browser_failed).to_string(),
    }
}
