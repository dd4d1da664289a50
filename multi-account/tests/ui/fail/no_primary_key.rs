// SeaORM's own `DeriveEntityModel` refuses a model without a primary key too;
// this case shows that `MultiAccountUser` reports it on its own, once.
#[derive(multi_account::MultiAccountUser)]
#[multi_account(linked_account = crate::linked_account::Entity)]
pub struct Model {
    pub id: i64,
    pub email: String,
}

fn main() {}
