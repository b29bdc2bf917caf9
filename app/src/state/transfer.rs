//! The browser's side of attached files: the `File`s themselves and their upload requests,
//! keyed like their [`Attached`](super::upload::Attached) and [`Upload`] in the store. They are
//! JavaScript objects, which signals cannot hold, so they live here for the page's lifetime
//! and leave when the file is sent or dropped.
//!
//! Uploads go through `XMLHttpRequest` because `fetch` reports no upload progress. The body
//! is the raw file (the server streams it to disk), and the answer is read the same way as any
//! other API answer ([`outcome`]).

use std::{cell::RefCell, collections::HashMap};

use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{Event, File, ProgressEvent, Url, XmlHttpRequest};

use super::{
    store::ChatStore,
    upload::{outcome, thumbnailed, upload_url, Upload, UploadFailure},
};

/// A file and, while it is being sent, its request.
struct Held {
    file: File,
    /// The object URL the tray and the upload row show, released with the file.
    thumb: Option<String>,
    request: Option<Request>,
}

struct Request {
    xhr: XmlHttpRequest,
    /// Called many times, so it lives as long as the request (the one-shot `loadend` handler
    /// frees itself).
    _progress: Closure<dyn FnMut(ProgressEvent)>,
}

thread_local! {
    static HELD: RefCell<HashMap<String, Held>> = RefCell::new(HashMap::new());
}

/// Keeps a chosen file under `key`; returns its name, size and, for images, a local URL
/// showing it.
pub fn hold(key: &str, file: File) -> (String, u64, Option<String>) {
    let thumb = thumbnailed(&file.type_()).then(|| Url::create_object_url_with_blob(&file).ok()).flatten();
    let info = (file.name(), file.size() as u64, thumb.clone());
    HELD.with(|h| h.borrow_mut().insert(key.to_string(), Held { file, thumb, request: None }));
    info
}

/// Drops a file: stops its upload if one is under way and frees its thumbnail.
pub fn release(key: &str) {
    // Out of the map before aborting: `abort` runs the `loadend` handler at once, and the
    // handler looks in the map.
    let Some(held) = HELD.with(|h| h.borrow_mut().remove(key)) else { return };
    if let Some(request) = &held.request {
        let _ = request.xhr.abort();
    }
    if let Some(url) = &held.thumb {
        let _ = Url::revoke_object_url(url);
    }
}

/// Sends held files one after another, in the order they were chosen. Each becomes a message
/// of its own when stored, so files sent side by side would post in the order they finished
/// (and the first, which carries the caption, could come last).
pub fn send_in_order(store: ChatStore, uploads: Vec<Upload>) {
    leptos::task::spawn_local(async move {
        for upload in uploads {
            transfer(store, upload).await;
        }
    });
}

/// Sends one held file again (a retry, with the same `client_id`).
pub fn send(store: ChatStore, upload: &Upload) {
    let upload = upload.clone();
    leptos::task::spawn_local(transfer(store, upload));
}

/// Sends a held file as `upload`; done when it is stored, has failed or was cancelled.
async fn transfer(store: ChatStore, upload: Upload) {
    let key = upload.client_id.clone();
    let Some(file) = HELD.with(|h| h.borrow().get(&key).map(|held| held.file.clone())) else {
        // Cancelled while waiting its turn, or gone with a reload.
        store.update_upload(&key, |u| u.fail_with(UploadFailure::FileGone));
        return;
    };
    let url = upload_url(upload.room, &key, &upload.name, &upload.caption);
    // The server's limits are asked first: refused after the headers, a large body is cut
    // off mid-send, and the browser then reports a network error instead of the reason.
    if let Err(e) = crate::api::check_upload(upload.room, file.size() as u64).await {
        store.update_upload(&key, |u| u.fail(e));
        return;
    }
    if HELD.with(|h| h.borrow().get(&key).is_none()) {
        return; // Cancelled while asking.
    }
    let (ended, end) = futures_channel::oneshot::channel();
    match start(store, &key, &url, &file, ended) {
        Ok(request) => HELD.with(|h| {
            if let Some(held) = h.borrow_mut().get_mut(&key) {
                held.request = Some(request);
            }
        }),
        Err(_) => return store.update_upload(&key, |u| u.fail_with(UploadFailure::NotSent)),
    }
    let _ = end.await;
}

fn start(
    store: ChatStore,
    key: &str,
    url: &str,
    file: &File,
    ended: futures_channel::oneshot::Sender<()>,
) -> Result<Request, JsValue> {
    let xhr = XmlHttpRequest::new()?;
    xhr.open_with_async("POST", url, true)?;
    let id = key.to_string();
    let progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |ev: ProgressEvent| {
        if ev.length_computable() {
            store.update_upload(&id, |u| u.progress(ev.loaded() as u64, ev.total() as u64));
        }
    });
    xhr.upload()?.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    let (id, answered) = (key.to_string(), xhr.clone());
    // `loadend` comes once per request, however it ends (answer, network error, abort).
    let done = Closure::once_into_js(move |_: Event| {
        finished(store, &id, &answered);
        let _ = ended.send(());
    });
    xhr.set_onloadend(Some(done.unchecked_ref()));
    xhr.send_with_opt_blob(Some(file))?;
    Ok(Request { xhr, _progress: progress })
}

fn finished(store: ChatStore, key: &str, xhr: &XmlHttpRequest) {
    // Released (cancelled, discarded): nobody is waiting for this answer.
    if HELD.with(|h| h.borrow_mut().get_mut(key).and_then(|held| held.request.take())).is_none() {
        return;
    }
    let status = xhr.status().unwrap_or(0);
    let body = xhr.response_text().ok().flatten().unwrap_or_default();
    match outcome(status, &body) {
        Ok(message) => {
            store.uploaded(key, message);
            release(key);
        }
        Err(why) => store.update_upload(key, |u| u.fail_with(why)),
    }
}
