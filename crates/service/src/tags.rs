//! Tags on resources: TagResource, UntagResource, ListTagsForResource. Tags are kept apart from
//! the resource documents (see `reko_storage::TagStore`), so tagging never races with the status
//! changes of background tasks; they are deleted with their resource.

use reko_api::{
    ApiError, ListTagsForResourceRequest, ListTagsForResourceResponse, Tag, TagResourceRequest, UntagResourceRequest,
};

use crate::error::ServiceResult;
use crate::Reko;

/// Personalize's limit of tag keys per resource.
const MAX_TAG_KEYS: usize = 50;

impl Reko {
    pub fn tag_resource(&self, req: TagResourceRequest) -> ServiceResult<()> {
        let mut tags = self.tags_of(&req.resource_arn)?;
        for tag in req.tags {
            match tags.iter_mut().find(|(key, _)| *key == tag.tag_key) {
                Some(existing) => existing.1 = tag.tag_value,
                None => tags.push((tag.tag_key, tag.tag_value)),
            }
        }
        if tags.len() > MAX_TAG_KEYS {
            return Err(ApiError::TooManyTags(format!(
                "Resource {} would have {} tag keys; the limit is {MAX_TAG_KEYS}.",
                req.resource_arn,
                tags.len()
            ))
            .into());
        }
        self.store().set_tags(&req.resource_arn, &tags)?;
        Ok(())
    }

    pub fn untag_resource(&self, req: UntagResourceRequest) -> ServiceResult<()> {
        let mut tags = self.tags_of(&req.resource_arn)?;
        tags.retain(|(key, _)| !req.tag_keys.contains(key));
        self.store().set_tags(&req.resource_arn, &tags)?;
        Ok(())
    }

    pub fn list_tags_for_resource(
        &self,
        req: ListTagsForResourceRequest,
    ) -> ServiceResult<ListTagsForResourceResponse> {
        let tags = self.tags_of(&req.resource_arn)?;
        Ok(ListTagsForResourceResponse {
            tags: tags.into_iter().map(|(tag_key, tag_value)| Tag { tag_key, tag_value }).collect(),
        })
    }

    fn tags_of(&self, arn: &str) -> ServiceResult<Vec<(String, String)>> {
        if self.store().get_resource(arn)?.is_none() {
            return Err(ApiError::ResourceNotFound(format!("Could not find resource: {arn}")).into());
        }
        Ok(self.store().tags(arn)?)
    }
}
