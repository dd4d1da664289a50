//! Link, group and switch work for every supported primary-key type.

use crate::support::{i32_user, i64_user, string_user, uuid_user};
use multi_account::{LinkError, LinkOutcome, LinkService, MultiAccountUser, format_subject, parse_subject};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

macro_rules! key_type_test {
    ($name:ident, $user:ident, [$a:expr, $b:expr, $c:expr]) => {
        on_every_backend! {
        async fn $name(db: DatabaseConnection) {
            let ids = [$a, $b, $c];
            for (index, id) in ids.iter().enumerate() {
                $user::ActiveModel {
                    id: Set(id.clone()),
                    label: Set(format!("account {index}")),
                    state: Set(if index == 2 { "off".to_owned() } else { "on".to_owned() }),
                }
                .insert(&db)
                .await
                .unwrap();
            }
            type Links = LinkService<$user::Model>;
            assert_eq!(Links::link(&db, &ids[0], &ids[1], "t").await.unwrap(), LinkOutcome::Linked);
            // `state = "off"` fails the string active_check.
            assert!(matches!(Links::link(&db, &ids[0], &ids[2], "t").await, Err(LinkError::Inactive)));
            let group = Links::group(&db, &ids[0], "t").await.unwrap().unwrap();
            let got: Vec<_> = group.iter().map(|user| user.id()).collect();
            assert_eq!(got, vec![ids[0].clone(), ids[1].clone()]);
            // Rendered once, then served from the cache with the same answer.
            assert_eq!(Links::active_user(&db, &ids[1]).await.unwrap().map(|user| user.id()), Some(ids[1].clone()));
            assert!(Links::active_user(&db, &ids[2]).await.unwrap().is_none(), "inactive");
            assert!(multi_account::test_database::statements_are_cached::<$user::Model>(db.get_database_backend()));
            let again = Links::group(&db, &ids[0], "t").await.unwrap().unwrap();
            assert_eq!(again.iter().map(|user| user.id()).collect::<Vec<_>>(), got);
            assert_eq!(crate::support::member::<$user::Model>(&db, &ids[0], &ids[1], "t").await.unwrap().label, "account 1");
            assert!(crate::support::member::<$user::Model>(&db, &ids[0], &ids[2], "t").await.is_err());

            // Subject round trip with the custom short name.
            let subject = format_subject($user::Model::SHORT_NAME, &ids[1]);
            assert!(subject.starts_with("member?id="));
            assert_eq!(parse_subject($user::Model::SHORT_NAME, &subject), Ok(ids[1].clone()));
        }
        }
    };
}

key_type_test!(uuid_keys, uuid_user, [uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), uuid::Uuid::new_v4()]);
key_type_test!(i32_keys, i32_user, [7_i32, -3, 2_000_000_000]);
key_type_test!(i64_keys, i64_user, [1_i64 << 40, 2, 3]);
key_type_test!(string_keys, string_user, ["alice".to_owned(), "bob smith".to_owned(), "ç".to_owned()]);
