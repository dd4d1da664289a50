#[derive(multi_account::MultiAccountUser)]
#[multi_account(linked_account = crate::linked_account::Entity)]
pub struct User {
    pub id: i64,
}

fn main() {}
