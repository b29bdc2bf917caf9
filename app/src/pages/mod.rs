//! Pages, one per route.

pub mod admin;
pub mod chat;
pub mod home;
pub mod login;
pub mod not_found;
pub mod register;
pub mod settings;
