//! A `FILE` message's file: an icon, its name as the uploader had it (any script), its kind and
//! size, and a Download link. The link names the file for the browser as well as the server's
//! `Content-Disposition` does, so the saved file keeps a Thai or accented name.

use leptos::prelude::*;

use crate::{
    i18n::{t_string, td_string, use_i18n},
    tr,
    types::{human_size, Attachment, MessageId},
};

#[component]
pub fn FileCard(id: MessageId, attachment: Attachment) -> impl IntoView {
    let i18n = use_i18n();
    let language = crate::text::language(i18n);
    let url = Attachment::url(id);
    let name = attachment.name;
    let (kind, size) = (kind_label(&name, &attachment.mime), human_size(attachment.size));
    let details = move || {
        let kind = kind.clone().unwrap_or_else(|| t_string!(i18n, chat.file.kind_unknown).to_string());
        format!("{kind} · {size}")
    };
    let download_label = {
        let name = name.clone();
        move || td_string!(language.get(), chat.file.download_file, name = &name)
    };
    view! {
        <div class="file-card" data-testid="file-card">
            {file_icon()}
            <span class="file-text">
                <a class="file-name" href=url.clone() download=name.clone() title=name.clone()>
                    {name.clone()}
                </a>
                <span class="file-details">{details}</span>
            </span>
            <a
                class="button ghost file-download"
                href=url
                download=name.clone()
                aria-label=download_label
                data-testid="download"
            >
                {tr!(i18n, chat.file.download)}
            </a>
        </div>
    }
}

/// A document outline, drawn rather than an emoji so it looks the same everywhere.
pub fn file_icon() -> impl IntoView {
    view! {
        <svg class="file-icon" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true">
            <path
                d="M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5M8 13h8M8 17h8"
                fill="none"
                stroke="currentColor"
                stroke-width="1.5"
                stroke-linejoin="round"
            />
        </svg>
    }
}

/// What kind of file it is, as people name it: the extension in capitals ("PDF", "XLSX"), or
/// `None` when the name has none worth showing (the card then says "File").
pub fn kind_label(name: &str, mime: &str) -> Option<String> {
    let extension = match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty() && (1..=5).contains(&ext.len()) && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            Some(ext.to_ascii_uppercase())
        }
        _ => None,
    };
    // The server sniffs the type from the content: where it recognized one of these, a name
    // saying otherwise (a PDF named `photo.jpg`) does not decide the label.
    let (label, extensions): (&str, &[&str]) = match mime {
        "application/pdf" => ("PDF", &["PDF"]),
        "image/png" => ("PNG", &["PNG"]),
        "image/jpeg" => ("JPEG", &["JPG", "JPEG", "JFIF", "JPE"]),
        "image/gif" => ("GIF", &["GIF"]),
        "image/webp" => ("WEBP", &["WEBP"]),
        // Office documents, e-books and Java archives are ZIP files too.
        "application/zip" => ("ZIP", &["ZIP", "DOCX", "XLSX", "PPTX", "ODT", "ODS", "ODP", "EPUB", "JAR", "APK"]),
        _ => return extension,
    };
    match extension {
        Some(ext) if extensions.contains(&ext.as_str()) => Some(ext),
        _ => Some(label.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_short_extensions() {
        let unknown = "application/octet-stream";
        assert_eq!(kind_label("รายงาน.pdf", "application/pdf").as_deref(), Some("PDF"));
        assert_eq!(kind_label("budget.2025.xlsx", "application/zip").as_deref(), Some("XLSX"));
        assert_eq!(kind_label("README", unknown), None);
        assert_eq!(kind_label(".bashrc", unknown), None);
        assert_eq!(kind_label("notes.verylongext", unknown), None);
        assert_eq!(kind_label("a.ไทย", unknown), None);
        assert_eq!(kind_label("data.csv", "text/plain").as_deref(), Some("CSV"));
        // What the content is, when the name says something else.
        assert_eq!(kind_label("image.jpg", "application/pdf").as_deref(), Some("PDF"));
        assert_eq!(kind_label("photo.jpg", "image/jpeg").as_deref(), Some("JPG"));
        assert_eq!(kind_label("scan", "image/png").as_deref(), Some("PNG"));
    }
}
