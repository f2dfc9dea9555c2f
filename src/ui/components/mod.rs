pub mod card_checker;
