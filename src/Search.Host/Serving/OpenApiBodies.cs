using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Search.Host.Serving;

/// <summary>
/// The parts of the OpenAPI description the endpoint metadata cannot carry: the request bodies (parsed by
/// <see cref="RequestReader"/>, not bound to types) and the query parameters of GET /search, written here from
/// the same field lists the handlers accept.
/// </summary>
internal static class OpenApiBodies
{
    /// <summary>Adds the transformers to the OpenAPI options.</summary>
    public static void Add(OpenApiOptions options)
    {
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonTypeInfo.Type != typeof(SearchResponse)) return Task.CompletedTask;
            // Left out when the first stage alone answered (rerank=false or no reranker).
            schema.Required?.Remove("score_mode");
            schema.Required?.Remove("interpolation_weight");
            if (schema.Properties?.TryGetValue("hits", out var hits) == true && hits is OpenApiSchema list)
                list.Description = "Best first, each as `search-host search --json` prints a hit: rank, id, score, first_stage_rank, first_stage_score, " +
                    "cross_encoder_score (null below the rescore window), title, snippet, and the query terms' marked ranges; with highlight, highlights and title_highlights.";
            return Task.CompletedTask;
        });
        AddBodies(options);
    }

    private static void AddBodies(OpenApiOptions options) => options.AddOperationTransformer((operation, context, _) =>
    {
        var path = "/" + (context.Description.RelativePath ?? "").TrimEnd('/');
        var method = context.Description.HttpMethod;
        switch (method, path)
        {
            case ("GET", "/search"):
                operation.Parameters ??= [];
                operation.Parameters.Add(Query("q", JsonSchemaType.String, "The query (required; at most Serve:MaxQueryLength characters).", required: true));
                operation.Parameters.Add(Query("k", JsonSchemaType.Integer, "Hits to return (default SearchHost:Top, at most Serve:MaxTop).", required: false));
                operation.Parameters.Add(Query("offset", JsonSchemaType.Integer, "Hits to skip before the k returned, as search --offset (default 0; ranks stay absolute; an offset past the last hit gives no hits; k + offset at most Serve:MaxTop).", required: false));
                operation.Parameters.Add(Query("rerank", JsonSchemaType.Boolean, "false for the first stage alone (default true when a reranker is loaded).", required: false));
                operation.Parameters.Add(Query("highlight", JsonSchemaType.Boolean, "true: each hit gets highlights and title_highlights, its best passages with the query terms marked, as search --highlight --json (default false).", required: false));
                operation.Parameters.Add(Query("filter", JsonSchemaType.String, "A condition on a kept field as search --filter takes it (FIELD=VALUE, FIELD>=VALUE, ...); repeat for several, all must hold.", required: false));
                break;
            case ("POST", "/search"):
                operation.RequestBody = Body(Object(["query"],
                    ("query", Scalar(JsonSchemaType.String, "The query.")),
                    ("k", Scalar(JsonSchemaType.Integer, "Hits to return (default SearchHost:Top, at most Serve:MaxTop).")),
                    ("offset", Scalar(JsonSchemaType.Integer, "Hits to skip before the k returned, as search --offset (default 0; ranks stay absolute; k + offset at most Serve:MaxTop).")),
                    ("rerank", Scalar(JsonSchemaType.Boolean, "false for the first stage alone.")),
                    ("highlight", Scalar(JsonSchemaType.Boolean, "true: each hit gets highlights and title_highlights, as search --highlight --json.")),
                    ("filter", Array(Scalar(JsonSchemaType.String, "A condition as search --filter takes it."), "Conditions on kept fields, all of which must hold."))));
                break;
            case ("POST", "/rerank"):
                operation.RequestBody = Body(Object(["query", "texts"],
                    ("query", Scalar(JsonSchemaType.String, "The query.")),
                    ("texts", Array(Scalar(JsonSchemaType.String, "A text to score."), "At most Serve:MaxTexts texts.")),
                    ("raw_scores", Scalar(JsonSchemaType.Boolean, "true: logits; false (default): the model's activation.")),
                    ("return_text", Scalar(JsonSchemaType.Boolean, "Echo each text in its result.")),
                    ("truncate", Scalar(JsonSchemaType.Boolean, "Cut pairs over the model's max length (default Serve:Truncate); false: refuse them with 413.")),
                    ("truncation_direction", Scalar(JsonSchemaType.String, "\"Right\" only.")),
                    ("top_n", Scalar(JsonSchemaType.Integer, "Only the best n results."))));
                break;
            case ("POST", "/v1/rerank"):
                operation.RequestBody = Body(Object(["query", "documents"],
                    ("query", Scalar(JsonSchemaType.String, "The query.")),
                    ("documents", Array(new OpenApiSchema
                    {
                        Description = "A document: a string, or an object with a \"text\" string.",
                        OneOf = [Scalar(JsonSchemaType.String, "The document text."), Object(["text"], ("text", Scalar(JsonSchemaType.String, "The document text.")))],
                    }, "At most Serve:MaxTexts documents.")),
                    ("top_n", Scalar(JsonSchemaType.Integer, "Only the best n results.")),
                    ("return_documents", Scalar(JsonSchemaType.Boolean, "Echo each document in its result.")),
                    ("model", Scalar(JsonSchemaType.String, "Accepted and not used: the service scores with the model it was started with."))));
                break;
        }
        return Task.CompletedTask;
    });

    private static OpenApiParameter Query(string name, JsonSchemaType type, string description, bool required) => new()
    {
        Name = name,
        In = ParameterLocation.Query,
        Required = required,
        Description = description,
        Schema = new OpenApiSchema { Type = type },
    };

    private static OpenApiRequestBody Body(OpenApiSchema schema) => new()
    {
        Required = true,
        Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
    };

    private static OpenApiSchema Scalar(JsonSchemaType type, string description) => new() { Type = type, Description = description };

    private static OpenApiSchema Array(IOpenApiSchema items, string description) => new() { Type = JsonSchemaType.Array, Items = items, Description = description };

    private static OpenApiSchema Object(string[] required, params (string Name, IOpenApiSchema Schema)[] properties) => new()
    {
        Type = JsonSchemaType.Object,
        AdditionalPropertiesAllowed = false,
        Required = new HashSet<string>(required),
        Properties = properties.ToDictionary(p => p.Name, p => p.Schema),
    };
}
