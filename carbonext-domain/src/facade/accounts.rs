//! [`Accounts`] for [`Carbonext`]: users, API keys, permissions, resources and their
//! allowed filters.

use std::num::NonZeroU32;

use async_trait::async_trait;
use carbonext_api::{operations, Page};

use super::carbonext::Carbonext;
use super::pipeline::{check_page, check_page_size};
use crate::accounts::{
    AllowedFilters, ApiKey, ApiKeyId, NewApiKey, NewApiKeySecret, NewUser, Permission, Resource,
    User, UserId, UserUpdate,
};
use crate::error::Result;
use crate::query::MAX_PAGE_SIZE;
use crate::Accounts;

#[async_trait]
impl Accounts for Carbonext {
    async fn create_user(&self, user: NewUser) -> Result<User> {
        // Not retried: a lost answer could otherwise create the user twice.
        let created = self
            .once(
                operations::CREATE_USER,
                self.api().create_user().body(user.to_wire()).send(),
            )
            .await?;
        Ok(User::from(created.into_inner()))
    }

    async fn users_page(&self, page: u32, page_size: u32) -> Result<Page<User>> {
        let (page, size) = (check_page(page)?, check_page_size(page_size)?);
        let users = self
            .retrying(operations::LIST_USERS, || {
                self.api().list_users().page(page).page_size(size).send()
            })
            .await?;
        Ok(users.into_inner().map(User::from))
    }

    async fn user(&self, id: UserId) -> Result<User> {
        let user = self
            .retrying(operations::GET_USER, || {
                self.api()
                    .get_user()
                    .id(id.0)
                    .include_permissions(true)
                    .send()
            })
            .await?;
        Ok(User::from(user.into_inner()))
    }

    async fn update_user(&self, id: UserId, update: UserUpdate) -> Result<User> {
        let update = update.to_wire();
        let user = self
            .retrying(operations::UPDATE_USER, || {
                self.api()
                    .update_user()
                    .id(id.0)
                    .body(update.clone())
                    .send()
            })
            .await?;
        Ok(User::from(user.into_inner()))
    }

    async fn delete_user(&self, id: UserId) -> Result<()> {
        self.retrying(operations::DELETE_USER, || {
            self.api().delete_user().id(id.0).send()
        })
        .await?;
        Ok(())
    }

    async fn create_api_key(&self, key: NewApiKey) -> Result<NewApiKeySecret> {
        // Not retried: a lost answer would lose the secret, and a retry would create a second key.
        let created = self
            .once(
                operations::CREATE_APPLICATION,
                self.api().create_application().body(key.to_wire()).send(),
            )
            .await?;
        Ok(NewApiKeySecret::from(created.into_inner()))
    }

    async fn api_keys_page(&self, page: u32, page_size: u32) -> Result<Page<ApiKey>> {
        let (page, size) = (check_page(page)?, check_page_size(page_size)?);
        let keys = self
            .retrying(operations::LIST_APPLICATIONS, || {
                self.api()
                    .list_applications()
                    .page(page)
                    .page_size(size)
                    .send()
            })
            .await?;
        Ok(keys.into_inner().map(ApiKey::from))
    }

    async fn api_key(&self, id: ApiKeyId) -> Result<ApiKey> {
        let key = self
            .retrying(operations::GET_APPLICATION, || {
                self.api().get_application().id(id.0).send()
            })
            .await?;
        Ok(ApiKey::from(key.into_inner()))
    }

    async fn permissions(&self) -> Result<Vec<Permission>> {
        let list = self
            .retrying(operations::LIST_PERMISSIONS, || {
                self.api()
                    .list_permissions()
                    .page(NonZeroU32::MIN)
                    .page_size(NonZeroU32::new(MAX_PAGE_SIZE).expect("not zero"))
                    .send()
            })
            .await?;
        let items = match list.into_inner() {
            carbonext_api::types::PermissionList::Array(items) => items,
            carbonext_api::types::PermissionList::PermissionPage(page) => page.items,
        };
        Ok(items.into_iter().map(Permission::from).collect())
    }

    async fn resources(&self) -> Result<Vec<Resource>> {
        let resources = self
            .retrying(operations::LIST_RESOURCES, || {
                self.api().list_resources().send()
            })
            .await?;
        Ok(resources
            .into_inner()
            .entities
            .into_iter()
            .map(Resource::from)
            .collect())
    }

    async fn allowed_filters(&self, resource: Resource) -> Result<AllowedFilters> {
        let filters = self
            .retrying(operations::GET_ALLOWED_FILTERS, || {
                self.api()
                    .get_allowed_filters()
                    .resource(resource.as_str())
                    .send()
            })
            .await?;
        Ok(AllowedFilters::from(filters.into_inner()))
    }
}
