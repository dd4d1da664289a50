//! tmp
use proc_macro::TokenStream;
/// tmp
#[proc_macro_derive(MultiAccountUser, attributes(multi_account))]
pub fn derive_user(_input: TokenStream) -> TokenStream { TokenStream::new() }
/// tmp
#[proc_macro_derive(LinkedAccount, attributes(linked_account))]
pub fn derive_linked(_input: TokenStream) -> TokenStream { TokenStream::new() }
