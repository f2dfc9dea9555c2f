//! Pages and the components they are made of. Rendered on the server, hydrated in the browser.

pub mod components;
pub mod pages;
