#[derive(multi_account::MultiAccountUser)]
#[multi_account(linked_account = crate::linked_account::Entity)]
pub enum Model {
    Alice,
    Bob,
}

fn main() {}
