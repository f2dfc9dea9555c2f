//! What a payment page on the open internet needs beyond working: headers that keep browsers
//! from being turned against it, limits on what one client may ask, and no connection made for
//! a merchant into kassa's own network.

pub mod headers;
pub mod limits;
pub mod notices;
pub mod outbound;
