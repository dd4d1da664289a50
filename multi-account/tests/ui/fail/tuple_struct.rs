#[derive(multi_account::MultiAccountUser)]
#[multi_account(linked_account = crate::linked_account::Entity)]
pub struct Model(i64, String);

fn main() {}
