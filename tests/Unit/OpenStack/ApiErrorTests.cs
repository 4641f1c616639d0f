using System.Collections.Generic;
using Newtonsoft.Json.Linq;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    public class ApiErrorTests
    {
        [Theory]
        [InlineData("{\"badRequest\": {\"code\": 400, \"message\": \"Compute service of nohost cannot be found.\"}}", "Compute service of nohost cannot be found.")]
        [InlineData("{\"itemNotFound\": {\"code\": 404, \"message\": \"Instance x could not be found.\"}}", "Instance x could not be found.")]
        [InlineData("{\"errors\": [{\"status\": 404, \"title\": \"Not Found\", \"detail\": \"No resource provider with uuid y found\"}]}", "No resource provider with uuid y found")]
        [InlineData("{\"error\": {\"code\": 401, \"message\": \"The request you have made requires authentication.\", \"title\": \"Unauthorized\"}}", "The request you have made requires authentication.")]
        public void TheServiceMessageIsFoundInEachServicesShape(string body, string expected)
        {
            Assert.Equal(expected, ApiConnection.ServiceMessageOf(JToken.Parse(body)));
        }

        [Theory]
        [InlineData(400, "OSApiBadRequest")]
        [InlineData(403, "OSPermissionDenied")]
        [InlineData(404, "OSNotFound")]
        [InlineData(409, "OSConflict")]
        [InlineData(500, "OSServiceError")]
        public void StatusCodesGetStableIds(int status, string id)
        {
            var response = new ApiResponse(status, JToken.Parse("{\"x\": {\"message\": \"what nova said\"}}"), "req-123", new Dictionary<string, string>());
            var e = ApiConnection.ErrorFor(response, "POST", "http://n/v2.1/servers/1/action", "Nova", "live-migrating instance 1");
            Assert.Equal(id, e.ErrorId);
            Assert.Contains("what nova said", e.Message);
            Assert.Contains("req-123", e.Message);
            Assert.Contains("live-migrating instance 1", e.Message);
            Assert.Equal("req-123", e.RequestId);
        }
    }
}
